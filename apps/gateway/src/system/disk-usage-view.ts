/**
 * What the disk usage page looks like on the wire. Its own file, free of server imports, so the
 * console can import these types without the service behind them.
 */
export type FilesystemUsage = {
  path: string;
  total_bytes: number;
  free_bytes: number;
  used_percent: number;
};

export type DiskUsage = {
  checked_at: string;
  database:
    | {
        available: true;
        name: string;
        bytes: number;
        largest_tables: { name: string; bytes: number; rows_estimate: number }[];
      }
    | { available: false; error: string };
  redis:
    | {
        available: true;
        used_memory_bytes: number;
        used_memory_peak_bytes: number | null;
        /** 0 means no limit. */
        maxmemory_bytes: number;
        maxmemory_policy: string | null;
        /** BullMQ needs `noeviction`: an evicting Redis loses queued jobs silently. */
        warning?: string;
      }
    | { available: false; error: string };
  /** Postgres's data directory, and its filesystem when this host can see it. */
  data_directory: {
    path: string | null;
    total_bytes: number | null;
    free_bytes: number | null;
    reason?: string;
  };
  /** The filesystem the gateway runs from (logs, temporary files). */
  gateway_filesystem: FilesystemUsage | null;
};
