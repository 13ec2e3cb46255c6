import { ApiProperty } from '@nestjs/swagger';
import { ERROR_TYPES, type ErrorBody, type ErrorType } from '../http/error-body.js';

export class ErrorDetail {
  @ApiProperty({ enum: ERROR_TYPES, description: 'What kind of error; clients branch on it' })
  type!: ErrorType;

  @ApiProperty({ description: 'What went wrong, for people; never a secret or a stack' })
  message!: string;

  @ApiProperty({ description: 'The X-Request-Id of the request' })
  request_id!: string;
}

/** Every error the gateway answers: `{ "error": { type, message, request_id } }`. */
export class ErrorResponse implements ErrorBody {
  @ApiProperty({ type: ErrorDetail })
  error!: ErrorDetail;
}
