import type { Command } from 'commander';
import { AdminApi } from './admin-api.js';
import { resolveConfig } from './config.js';
import { Output } from './output.js';

/** What every command needs: where its output goes and, on first use, the admin API. */
export type CommandContext = { out: Output; api(): AdminApi };

/** The context of the command being run; the config is read only when a request is made. */
export function contextOf(command: Command): CommandContext {
  const { json } = command.optsWithGlobals<{ json?: boolean }>();
  let api: AdminApi | undefined;
  return {
    out: new Output(json === true),
    api: () => (api ??= new AdminApi(resolveConfig())),
  };
}
