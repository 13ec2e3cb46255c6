import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { errorResponse } from './admission-responses.js';
import { ErrorResponse } from './error-response.js';

/**
 * Errors a route answers beyond those every route of its kind does (see admission-responses.ts):
 * a status, or a status with what it means here.
 */
export function ApiErrors(
  ...errors: (number | [status: number, description: string])[]
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...errors.map((e) => {
      const [status, description] = typeof e === 'number' ? [e, undefined] : e;
      return ApiResponse({
        status,
        description: errorResponse(status, description).description,
        type: ErrorResponse,
      });
    }),
  );
}
