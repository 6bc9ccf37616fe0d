/**
 * The ledger: a session's state as a fold over its events (src/core/sessions/events.ts).
 *
 * - Usage snapshots are keyed by request id: a later snapshot replaces an earlier one, so a
 *   repeated or duplicated update can never add tokens twice.
 * - Requests are grouped into turns; a request without a turn belongs to the session.
 * - Applying an event is O(1): loading a 10,000-turn log is one pass, and recording a turn does
 *   not touch earlier turns.
 *
 * The derivations (turn usage, session usage, context window, costs) live in `derive.ts`, one
 * function each, and every view (panel, status bar, CLI text and JSON, exports) uses them.
 */
import type { Pico } from '../money';
import type { Cost, RequestPurpose, RequestStatus, SessionEvent, TurnStatus } from '../sessions/events';
import type { Usage } from '../usage/types';

export interface RequestRecord {
  requestId: string;
  turnId: string | undefined;
  provider: string;
  model: string;
  purpose: RequestPurpose;
  startedAt: string;
  endedAt: string | undefined;
  status: RequestStatus;
  /** The latest usage snapshot; null until the provider (or an estimate) said anything. */
  usage: Usage | null;
  cost: Cost | null;
  /** `cost.pico` parsed once; null = unknown price (or no usage yet). */
  costPico: Pico | null;
  /** The latest snapshot was the request's final one. */
  final: boolean;
  error: string | undefined;
  /** Position in the session (order of `request.started`), for "the latest request". */
  seq: number;
}

export interface TurnRecord {
  turnId: string;
  index: number;
  startedAt: string;
  endedAt: string | undefined;
  status: TurnStatus;
  error: string | undefined;
  requestIds: string[];
}

export interface MessageRecord {
  turnId: string | undefined;
  at: string;
  message: { role: 'system' | 'user' | 'assistant' | 'tool'; content: unknown; [k: string]: unknown };
}

export interface SessionState {
  sessionId: string;
  title: string;
  provider: string;
  model: string;
  createdAt: string;
  updatedAt: string;
  importedFrom: { file: string; sha256: string } | undefined;
  turns: TurnRecord[];
  turnsById: Map<string, TurnRecord>;
  requests: Map<string, RequestRecord>;
  /** Requests caused by the session itself rather than a turn. */
  sessionRequestIds: string[];
  messages: MessageRecord[];
  /** Some numbers are a reconstruction (e.g. a log of cumulative records), not a measurement. */
  approximate: boolean;
  /** Events that referred to something unknown (a usage for a request never started…). */
  orphans: number;
}

export function emptySession(sessionId: string): SessionState {
  return {
    sessionId,
    title: '',
    provider: '',
    model: '',
    createdAt: '',
    updatedAt: '',
    importedFrom: undefined,
    turns: [],
    turnsById: new Map(),
    requests: new Map(),
    sessionRequestIds: [],
    messages: [],
    approximate: false,
    orphans: 0,
  };
}

/** Applies one validated event to the state, in place. Unknown references are counted, not thrown. */
export function applyEvent(s: SessionState, e: SessionEvent): void {
  if (e.at > s.updatedAt) s.updatedAt = e.at;
  switch (e.type) {
    case 'session.created':
      s.sessionId = e.sessionId;
      s.title = e.title;
      s.provider = e.provider;
      s.model = e.model;
      s.createdAt = e.at;
      s.importedFrom = e.importedFrom;
      if (e.approximate) s.approximate = true;
      return;
    case 'session.renamed':
      s.title = e.title;
      return;
    case 'turn.started': {
      if (s.turnsById.has(e.turnId)) return; // a repeated line changes nothing
      const turn: TurnRecord = {
        turnId: e.turnId,
        index: e.index,
        startedAt: e.at,
        endedAt: undefined,
        status: 'running',
        error: undefined,
        requestIds: [],
      };
      s.turns.push(turn);
      s.turnsById.set(e.turnId, turn);
      return;
    }
    case 'turn.ended': {
      const turn = s.turnsById.get(e.turnId);
      if (!turn) return void s.orphans++;
      turn.status = e.status;
      turn.endedAt = e.at;
      turn.error = e.error;
      return;
    }
    case 'request.started': {
      if (s.requests.has(e.requestId)) return;
      const req: RequestRecord = {
        requestId: e.requestId,
        turnId: e.turnId,
        provider: e.provider,
        model: e.model,
        purpose: e.purpose,
        startedAt: e.at,
        endedAt: undefined,
        status: 'streaming',
        usage: null,
        cost: null,
        costPico: null,
        final: false,
        error: undefined,
        seq: s.requests.size,
      };
      s.requests.set(e.requestId, req);
      const turn = e.turnId === undefined ? undefined : s.turnsById.get(e.turnId);
      if (turn) turn.requestIds.push(e.requestId);
      else s.sessionRequestIds.push(e.requestId);
      if (e.model) s.model = e.model;
      return;
    }
    case 'request.usage': {
      const req = s.requests.get(e.requestId);
      if (!req) return void s.orphans++;
      // A final snapshot is never replaced by a later non-final one (a late, stale update).
      if (req.final && !e.final) return;
      req.usage = e.usage as Usage;
      req.cost = e.cost;
      req.costPico = e.cost.pico === null ? null : BigInt(e.cost.pico);
      req.final = e.final;
      return;
    }
    case 'request.ended': {
      const req = s.requests.get(e.requestId);
      if (!req) return void s.orphans++;
      req.status = e.status;
      req.endedAt = e.at;
      req.error = e.error;
      return;
    }
    case 'message':
      s.messages.push({ turnId: e.turnId, at: e.at, message: e.message as MessageRecord['message'] });
      return;
  }
}

export function foldEvents(sessionId: string, events: Iterable<SessionEvent>): SessionState {
  const s = emptySession(sessionId);
  for (const e of events) applyEvent(s, e);
  return s;
}

/** The requests of a turn, in order. */
export function turnRequests(s: SessionState, turn: TurnRecord): RequestRecord[] {
  const out: RequestRecord[] = [];
  for (const id of turn.requestIds) {
    const r = s.requests.get(id);
    if (r) out.push(r);
  }
  return out;
}
