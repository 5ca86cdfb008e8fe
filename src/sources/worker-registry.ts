/**
 * The worker side of every data source, found by file name: `src/sources/<folder>/worker.ts`
 * exporting `loaders` (one per source id). The source list itself is src/sources/index.ts.
 */
import type { SourceLoader, SourceWorkerModule } from './worker-contract';

const modules = import.meta.glob<SourceWorkerModule>('./*/worker.ts', { eager: true });

export const LOADERS: ReadonlyMap<string, SourceLoader> = new Map(Object.values(modules).flatMap((m) => Object.entries(m.loaders)));
