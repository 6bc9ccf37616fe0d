/**
 * The opt-in OpenTelemetry export in the editor: off until `tally.telemetry.enabled`; then a pass
 * every `exportIntervalSeconds` over this workspace's storage, reading the ledger (never the
 * streaming path). Turning the setting off stops it; a bad configuration is one clear error.
 */
import * as vscode from 'vscode';
import type { Logger } from '../core/log';
import type { PriceFn } from '../core/sessions/convert';
import { TelemetryConfigError, telemetryConfigFromSettings } from '../core/telemetry/config';
import { type LedgerExporter, startTelemetry } from '../core/telemetry/exporter';

export class EditorTelemetry implements vscode.Disposable {
  private exporter: LedgerExporter | null = null;

  constructor(
    private readonly source: { dir: string; workspace: string },
    private readonly price: PriceFn,
    private readonly log: Logger,
  ) {}

  /** Starts, restarts or stops the export to match the settings. */
  async apply(): Promise<void> {
    await this.stop();
    const c = vscode.workspace.getConfiguration('tally.telemetry');
    if (!c.get<boolean>('enabled', false)) return;
    try {
      const config = telemetryConfigFromSettings({
        endpoint: c.get<string>('endpoint', ''),
        protocol: c.get<string>('protocol', 'http/protobuf'),
        resourceAttributes: c.get<Record<string, string>>('resourceAttributes', {}),
        includeWorkspaceName: c.get<boolean>('includeWorkspaceName', false),
        latestGenAiConventions: c.get<boolean>('latestGenAiConventions', false),
      });
      const intervalMs = Math.max(5, c.get<number>('exportIntervalSeconds', 60)) * 1000;
      this.exporter = await startTelemetry(config, () => [this.source], {
        logger: this.log,
        price: this.price,
        intervalMs,
      });
      this.log.info('OpenTelemetry export on', { intervalMs });
    } catch (e) {
      const msg = e instanceof TelemetryConfigError ? e.message : `cannot start: ${(e as Error).message}`;
      this.log.error(`OpenTelemetry export: ${msg}`);
      void vscode.window.showErrorMessage(
        `Tally: OpenTelemetry export ${msg}. Check the tally.telemetry settings.`,
      );
    }
  }

  async stop(): Promise<void> {
    const e = this.exporter;
    this.exporter = null;
    if (e) await e.shutdown().catch((err: Error) => this.log.warn(`OpenTelemetry shutdown: ${err.message}`));
  }

  dispose(): void {
    void this.stop();
  }
}
