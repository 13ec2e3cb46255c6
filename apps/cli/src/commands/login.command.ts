import { Command } from 'commander';
import { AdminApi } from '../admin-api.js';
import { contextOf } from '../command-context.js';
import { configPath, gatewayUrl, readConfigFile, writeConfigFile } from '../config.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { readSecret } from '../secret-input.js';

/**
 * `gatehouse login`: checks an admin key against the gateway, then keeps URL and key in the
 * config file (mode 0600). The key comes from stdin or a prompt that does not echo.
 */
export function loginCommand(): Command {
  return new Command('login')
    .description('store the gateway URL and admin key in the config file (mode 0600)')
    .option('--url <url>', 'the gateway URL (default: GATEHOUSE_URL, or the one stored before)')
    .action(async (options: { url?: string }, command: Command) => {
      const ctx = contextOf(command);
      const path = configPath();
      const existing = readConfigFile(path);
      const raw = options.url ?? process.env.GATEHOUSE_URL ?? existing?.url;
      if (!raw)
        throw new CliError('Which gateway? Give --url or set GATEHOUSE_URL', ExitCode.usage);
      const url = gatewayUrl(raw);
      const adminKey = await readSecret('Admin key (input hidden): ');
      // A key the gateway refuses is not stored: the error says why (401, 403, unreachable).
      await new AdminApi({ url, adminKey }).get('/api/v1/admin/keys', { query: { limit: 1 } });
      writeConfigFile(path, { url: url.toString(), admin_key: adminKey });
      ctx.out.result(
        { url: url.toString(), config_file: path },
        (r) => `Logged in to ${r.url}; saved to ${r.config_file}`,
      );
    });
}
