import { PassThrough, Readable } from 'node:stream';
import { CliError, ExitCode } from './exit-codes.js';
import { readSecret } from './secret-input.js';

const silent = { write: () => true };

describe('readSecret', () => {
  it('reads a piped secret and drops the trailing newline', async () => {
    await expect(readSecret('Key: ', Readable.from(['sk-abc', '123\n']), silent)).resolves.toBe(
      'sk-abc123',
    );
  });

  it('refuses an empty input with a usage error', async () => {
    const err = await readSecret('Key: ', Readable.from(['\n']), silent).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(ExitCode.usage);
  });

  it('refuses more than 64 KiB', async () => {
    const big = Readable.from([Buffer.alloc(65 * 1024, 'a')]);
    await expect(readSecret('Key: ', big, silent)).rejects.toThrow(/longer than/);
  });

  it('at a terminal, prompts without echoing what is typed, and honours backspace', async () => {
    const modes: boolean[] = [];
    const tty = Object.assign(new PassThrough(), {
      isTTY: true,
      setRawMode: (raw: boolean) => modes.push(raw),
    });
    const shown: string[] = [];
    const secret = readSecret('Key: ', tty, { write: (t: string) => shown.push(t) });
    tty.write('sk-x');
    tty.write('\u007fy\r');
    await expect(secret).resolves.toBe('sk-y');
    expect(shown.join('')).toBe('Key: \n');
    expect(modes).toEqual([true, false]); // no echo while typing, the terminal restored after
  });
});
