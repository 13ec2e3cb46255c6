import { InjectRedis, type RedisClient } from '@gatehouse/queue';
import { Injectable } from '@nestjs/common';
import { statfs } from 'node:fs/promises';
import { DataSource } from 'typeorm';
import { attempt, bounded, parseRedisInfo } from './bounded.js';
import type { DiskUsage, FilesystemUsage } from './disk-usage-view.js';

const LARGEST_TABLES = 10;

/** Where the bytes are: database and tables, Redis memory, and free disk where it can be seen. */
@Injectable()
export class DiskUsageService {
  constructor(
    private readonly dataSource: DataSource,
    @InjectRedis() private readonly redis: RedisClient,
  ) {}

  async check(): Promise<DiskUsage> {
    const [database, redis, dataDirectory, gatewayFs] = await Promise.all([
      this.database(),
      this.redisMemory(),
      this.dataDirectory(),
      attempt(() => filesystem(process.cwd())),
    ]);
    return {
      checked_at: new Date().toISOString(),
      database,
      redis,
      data_directory: dataDirectory,
      gateway_filesystem: gatewayFs ?? null,
    };
  }

  private async database(): Promise<DiskUsage['database']> {
    try {
      const [size, tables] = await Promise.all([
        bounded(() =>
          this.dataSource.query<{ name: string; bytes: string }[]>(
            'SELECT current_database() AS name, pg_database_size(current_database())::text AS bytes',
          ),
        ),
        bounded(() =>
          this.dataSource.query<
            { schema: string; name: string; bytes: string; rows_estimate: string }[]
          >(
            `SELECT n.nspname AS schema, c.relname AS name,
                    pg_total_relation_size(c.oid)::text AS bytes,
                    GREATEST(c.reltuples, 0)::bigint::text AS rows_estimate
               FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'p', 'm')
                AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                AND n.nspname NOT LIKE 'pg\\_toast%'
              ORDER BY pg_total_relation_size(c.oid) DESC, c.relname
              LIMIT ${LARGEST_TABLES}`,
          ),
        ),
      ]);
      return {
        available: true,
        name: size[0]?.name ?? '',
        bytes: Number(size[0]?.bytes ?? 0),
        largest_tables: tables.map((t) => ({
          name: t.schema === 'public' ? t.name : `${t.schema}.${t.name}`,
          bytes: Number(t.bytes),
          rows_estimate: Number(t.rows_estimate),
        })),
      };
    } catch (err) {
      return { available: false, error: probeError(err) };
    }
  }

  private async redisMemory(): Promise<DiskUsage['redis']> {
    try {
      const info = parseRedisInfo(await bounded(() => this.redis.info('memory')));
      const policy = info.get('maxmemory_policy') ?? null;
      const peak = info.get('used_memory_peak');
      return {
        available: true,
        used_memory_bytes: Number(info.get('used_memory') ?? 0),
        used_memory_peak_bytes: peak === undefined ? null : Number(peak),
        maxmemory_bytes: Number(info.get('maxmemory') ?? 0),
        maxmemory_policy: policy,
        ...(policy && policy !== 'noeviction'
          ? {
              warning: `maxmemory_policy is ${policy}; queues need noeviction or they may lose jobs`,
            }
          : {}),
      };
    } catch (err) {
      return { available: false, error: probeError(err) };
    }
  }

  private async dataDirectory(): Promise<DiskUsage['data_directory']> {
    let path: string;
    try {
      const rows = await bounded(() =>
        this.dataSource.query<{ data_directory: string }[]>('SHOW data_directory'),
      );
      path = rows[0]?.data_directory ?? '';
    } catch (err) {
      const reason =
        (err as { code?: string }).code === '42501'
          ? 'the database role may not read data_directory (grant it pg_read_all_settings)'
          : `postgres ${probeError(err)}`;
      return { path: null, total_bytes: null, free_bytes: null, reason };
    }
    // Only meaningful when Postgres runs on this host; in compose it is another container.
    const fs = await attempt(() => filesystem(path));
    if (!fs) {
      return {
        path,
        total_bytes: null,
        free_bytes: null,
        reason: 'the data directory is not visible from the gateway host',
      };
    }
    return { path, total_bytes: fs.total_bytes, free_bytes: fs.free_bytes };
  }
}

async function filesystem(path: string): Promise<FilesystemUsage> {
  const s = await statfs(path);
  const total = s.blocks * s.bsize;
  const free = s.bavail * s.bsize;
  return {
    path,
    total_bytes: total,
    free_bytes: free,
    used_percent: total > 0 ? Math.round(((total - s.bfree * s.bsize) / total) * 1000) / 10 : 0,
  };
}

function probeError(err: unknown): string {
  return err instanceof Error && err.message === 'timed out' ? 'timed out' : 'unreachable';
}
