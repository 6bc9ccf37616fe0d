import type { Pricing } from '../../core/pricing/pricing';
import { workspaceOfStorage } from '../../core/report/collect';
import {
  TelemetryConfigError,
  telemetryConfigFromEnv,
  telemetryEnabledInEnv,
} from '../../core/telemetry/config';
import { type LedgerExporter, ledgerExporter } from '../../core/telemetry/exporter';
import { CliError, parse, usageError } from '../args';
import { pricingFrom } from '../context';
import { printJson, stderrLogger, warn } from '../output';
import { SOURCE_FLAGS, storageSources } from '../sources';

/**
 * `tally export-otel [--storage DIR]… [--storage-root DIR]… [--watch SECONDS] [--json]`: sends the
 * requests recorded since the last export to an OpenTelemetry collector (OTLP/HTTP), configured
 * by the standard OTEL_* variables. Off unless TALLY_OTEL=1.
 */
export async function exportOtelCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...SOURCE_FLAGS,
    watch: { type: 'string' },
    json: { type: 'boolean' },
    prices: { type: 'string' },
  });
  if (positionals.length > 0) throw usageError('export-otel takes no arguments, only flags');
  const watchS = values.watch === undefined ? null : Number(values.watch);
  if (watchS !== null && (!Number.isFinite(watchS) || watchS < 1))
    throw usageError('--watch must be a number of seconds (1 or more)');
  if (!telemetryEnabledInEnv(process.env)) {
    throw new CliError(
      'the OpenTelemetry export is off: set TALLY_OTEL=1 (and OTEL_EXPORTER_OTLP_ENDPOINT) to send metrics',
    );
  }
  let config: ReturnType<typeof telemetryConfigFromEnv>;
  try {
    config = telemetryConfigFromEnv(process.env);
  } catch (e) {
    if (e instanceof TelemetryConfigError) throw usageError(e.message);
    throw e;
  }
  const pricing = await pricingFrom(values.prices);
  const sources = await storageSources(values);
  const exporter = await ledgerExporter(config, () => sources, {
    logger: stderrLogger(),
    price: pricing.price,
  });
  const report = (r: Awaited<ReturnType<LedgerExporter['exportOnce']>>) => {
    if (values.json) printJson({ ...r, url: config.metricsUrl, droppedPoints: exporter.stats.droppedPoints });
    else if (r.ok)
      process.stderr.write(
        `exported ${r.requests} requests (${r.points} points${r.spans !== undefined ? `, ${r.spans} spans` : ''}) to ${config.metricsUrl}` +
          `${r.pending ? `; ${r.pending} wait for the next export` : ''}\n`,
      );
    else warn(`export to ${config.metricsUrl} failed: ${r.error}`);
  };
  try {
    if (watchS === null) {
      const r = await exporter.exportOnce();
      report(r);
      return r.ok ? 0 : 1;
    }
    // Watch: a pass every N seconds until Ctrl+C; a failed pass is retried on the next one.
    let stop: () => void = () => {};
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    for (;;) {
      report(await exporter.exportOnce());
      const tick = new Promise<'tick'>((resolve) => setTimeout(() => resolve('tick'), watchS * 1000).unref());
      if ((await Promise.race([tick, stopped.then(() => 'stop' as const)])) === 'stop') return 0;
    }
  } finally {
    await exporter.shutdown();
  }
}

/**
 * After `tally run` (TALLY_OTEL=1): one export of the storage folder it wrote to. A failure is a
 * warning line, never the run's failure: the ledger keeps the requests for the next export.
 */
export async function exportAfterTurn(storageDir: string, pricing: Pricing): Promise<void> {
  try {
    const config = telemetryConfigFromEnv(process.env);
    const workspace = await workspaceOfStorage(storageDir);
    const exporter = await ledgerExporter(config, () => [{ dir: storageDir, workspace }], {
      logger: stderrLogger(),
      price: pricing.price,
    });
    try {
      const r = await exporter.exportOnce();
      if (!r.ok)
        warn(`OpenTelemetry export to ${config.metricsUrl} failed (kept for the next export): ${r.error}`);
    } finally {
      await exporter.shutdown();
    }
  } catch (e) {
    warn(`OpenTelemetry export skipped: ${(e as Error).message}`);
  }
}
