import { Command } from 'commander';
import { accountsCommand } from './commands/accounts.command.js';
import { auditCommand } from './commands/audit.command.js';
import { healthCommand } from './commands/health.command.js';
import { keysCommand } from './commands/keys.command.js';
import { loginCommand } from './commands/login.command.js';
import { usageCommand } from './commands/usage.command.js';
import { EXIT_CODE_HELP } from './exit-codes.js';

const CONFIG_HELP = `Configuration:
  GATEHOUSE_URL        the gateway, e.g. https://ai.example.com (plain http only to loopback,
                       unless GATEHOUSE_ALLOW_HTTP=1)
  GATEHOUSE_ADMIN_KEY  the admin key (never a flag: flags land in shell history)
  Either may instead come from the config file that \`gatehouse login\` writes:
  $GATEHOUSE_CONFIG, else $XDG_CONFIG_HOME/gatehouse/config.json (~/.config/...), which must
  be readable by its owner only (chmod 600). The environment wins over the file.`;

/** The `gatehouse` command tree. Errors are thrown, not printed: main.ts turns them into exit codes. */
export function buildProgram(version: string): Command {
  const program = new Command('gatehouse')
    .description('Manage a Gatehouse gateway through its admin API')
    .version(version)
    .option('--json', 'print results as JSON for scripts')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', `\n${CONFIG_HELP}\n\n${EXIT_CODE_HELP}\n`);
  for (const command of [
    keysCommand(),
    accountsCommand(),
    usageCommand(),
    auditCommand(),
    healthCommand(),
    loginCommand(),
  ]) {
    program.addCommand(command);
  }
  // Every command, nested ones too, reports parse errors to main.ts instead of exiting itself.
  const overrideExits = (command: Command): void => {
    command.exitOverride();
    command.commands.forEach(overrideExits);
  };
  overrideExits(program);
  return program;
}
