import { Controller, Get } from '@nestjs/common';
import { AdminOnly } from '../auth/access.decorator.js';
import { type DiskUsage, DiskUsageService } from './disk-usage.service.js';
import { type SystemHealth, SystemHealthService } from './system-health.service.js';

/** Operator views of the gateway's dependencies: health, queue depths, workers, space. */
@AdminOnly()
@Controller('api/v1/admin')
export class SystemController {
  constructor(
    private readonly health: SystemHealthService,
    private readonly disk: DiskUsageService,
  ) {}

  @Get('system-health')
  systemHealth(): Promise<SystemHealth> {
    return this.health.check();
  }

  @Get('disk-usage')
  diskUsage(): Promise<DiskUsage> {
    return this.disk.check();
  }
}
