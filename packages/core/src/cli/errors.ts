/**
 * Errors a tool reports to its user. `CliError` is bad input or a failed computation
 * (exit 1); `UsageError` is a wrong invocation (exit 2). Both carry a one-line message
 * that says what was expected and what came, so no stack trace is ever needed.
 */
export class CliError extends Error {
  readonly exitCode: number = 1;
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

export class UsageError extends CliError {
  override readonly exitCode: number = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The message of anything thrown, without a stack. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** System error codes in words a user reads without looking them up. */
const SYSTEM_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a folder, not a file',
  ENOTDIR: 'a part of the path is not a folder',
  EMFILE: 'too many open files',
  ENOSPC: 'no space left on the device',
};

/** An fs error in plain words ("no such file"), anything else as its message. */
export function plainError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return (code && SYSTEM_ERRORS[code]) ?? errorMessage(error);
}
