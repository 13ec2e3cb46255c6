import { HttpException } from '@nestjs/common';
import type { ErrorType } from './error-body.js';

/**
 * An error whose `type` is more specific than its status says (a 429 that is a budget, not a
 * rate; a 403 for a model with no price): clients branch on the type.
 */
export class TypedHttpException extends HttpException {
  constructor(
    message: string,
    status: number,
    readonly errorType: ErrorType,
  ) {
    super(message, status);
  }
}

/** The type an error declares, if it declares one. */
export function declaredErrorType(exception: unknown): ErrorType | undefined {
  const declared = (exception as { errorType?: unknown } | null)?.errorType;
  return typeof declared === 'string' ? (declared as ErrorType) : undefined;
}
