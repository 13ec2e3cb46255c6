import { CliError, ExitCode } from './exit-codes.js';

/** Generous for any API credential; bounded so a wrong pipe cannot fill memory. */
const MAX_SECRET_BYTES = 64 * 1024;

type Input = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };

/**
 * A secret from stdin when it is piped (`gatehouse accounts create ... < file`), or typed at a
 * prompt that does not echo. Never from an argument: arguments land in shell history and in
 * every other user's `ps`.
 */
export async function readSecret(
  prompt: string,
  input: Input = process.stdin,
  prompter: { write(text: string): unknown } = process.stderr,
): Promise<string> {
  const secret = input.isTTY ? await promptHidden(prompt, input, prompter) : await readAll(input);
  const trimmed = secret.trim();
  if (trimmed.length === 0) {
    throw new CliError(`${prompt.replace(/:\s*$/, '')}: nothing was given`, ExitCode.usage);
  }
  return trimmed;
}

async function readAll(input: Input): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buf.length;
    if (size > MAX_SECRET_BYTES) {
      throw new CliError(
        `The secret on stdin is longer than ${MAX_SECRET_BYTES} bytes`,
        ExitCode.usage,
      );
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a line in raw mode, echoing nothing; Ctrl-C and Ctrl-D abort, backspace edits. */
function promptHidden(
  prompt: string,
  input: Input,
  prompter: { write(text: string): unknown },
): Promise<string> {
  prompter.write(prompt);
  input.setRawMode?.(true);
  input.resume();
  let typed = '';
  return new Promise<string>((resolve, reject) => {
    const done = (err?: Error) => {
      input.setRawMode?.(false);
      input.pause();
      input.removeListener('data', onData);
      prompter.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (data: Buffer | string) => {
      for (const char of data.toString()) {
        if (char === '\r' || char === '\n') return done();
        if (char === '\u0003' || char === '\u0004') {
          return done(new CliError('Cancelled', ExitCode.usage));
        }
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else typed += char;
        if (typed.length > MAX_SECRET_BYTES) {
          return done(new CliError('The secret is too long', ExitCode.usage));
        }
      }
    };
    input.on('data', onData);
  });
}
