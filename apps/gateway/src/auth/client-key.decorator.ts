import { createParamDecorator, type ExecutionContext, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ClientKey } from './principal.js';

/** The calling client key, on routes admission admits only client keys to. */
export const CurrentKey = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): ClientKey => {
    const principal = ctx.switchToHttp().getRequest<FastifyRequest>().principal;
    if (principal?.kind !== 'client') throw new UnauthorizedException('A client key is required');
    return principal.key;
  },
);
