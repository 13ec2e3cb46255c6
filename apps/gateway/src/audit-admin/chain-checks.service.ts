import {
  HEAD_JOB_NAME,
  type SignedHead,
  VERIFY_JOB_NAME,
  type VerifyJobData,
  type VerifyResult,
} from '@gatehouse/queue';
import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { MaintenanceClient } from './maintenance-client.js';

const CHECK_JOB_OPTIONS = {
  attempts: 1,
  removeOnComplete: { age: 3600, count: 100 },
  removeOnFail: { age: 24 * 3600, count: 100 },
} as const;

/** Long enough to walk millions of rows; an admin asking is waiting at a terminal. */
const VERIFY_WAIT_MS = 120_000;
const HEAD_WAIT_MS = 10_000;

/**
 * Chain verification and signed heads, relayed: the gateway cannot compute either, because it
 * does not hold AUDIT_CHAIN_KEY (a gateway that could check links could also forge them).
 */
@Injectable()
export class ChainChecks {
  constructor(private readonly maintenance: MaintenanceClient) {}

  verify(data: VerifyJobData): Promise<VerifyResult> {
    return this.ask<VerifyResult>(VERIFY_JOB_NAME, data, VERIFY_WAIT_MS);
  }

  head(): Promise<SignedHead> {
    return this.ask<SignedHead>(HEAD_JOB_NAME, {}, HEAD_WAIT_MS);
  }

  private async ask<T>(name: string, data: object, waitMs: number): Promise<T> {
    const outcome = await this.maintenance.run<T>(name, data, CHECK_JOB_OPTIONS, waitMs);
    if (outcome.status === 'completed') return outcome.result;
    throw new ServiceUnavailableException(
      `The audit app did not answer in time (job ${outcome.job_id}); is it running?`,
    );
  }
}
