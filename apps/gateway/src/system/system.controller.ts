import { Controller, Get } from '@nestjs/common';
import { AdminOnly } from '../auth/access.decorator.js';
import type { DiskUsage } from './disk-usage-view.js';
import { DiskUsageService } from './disk-usage.service.js';
import { type SystemHealth, SystemHealthService } from './system-health.service.js';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { DiskUsageResponse, SystemHealthResponse } from './dto/system.response.js';

/** Operator views of the gateway's dependencies: health, queue depths, workers, space. */
@ApiTags('admin: system')
@AdminOnly()
@Controller('api/v1/admin')
export class SystemController {
  constructor(
    private readonly health: SystemHealthService,
    private readonly disk: DiskUsageService,
  ) {}

  @Get('system-health')
  @ApiOkResponse({ type: SystemHealthResponse })
  systemHealth(): Promise<SystemHealth> {
    return this.health.check();
  }

  @Get('disk-usage')
  @ApiOkResponse({ type: DiskUsageResponse })
  diskUsage(): Promise<DiskUsage> {
    return this.disk.check();
  }
}
