import type { FleetEvent, FleetMemberState } from '../../topics/types';

/**
 * What may steer the executor fleets: the operator API and CLI, and the scaler
 * (ops/fleet/scaler*). Every call that changes something writes an `ops.fleet`
 * event with its reason before it returns, so the history explains every size
 * the fleet ever had.
 */
export interface FleetControl {
  /**
   * Sets the desired executors of a class, clamped to its min and max (the
   * event's reason says when it was clamped). Writes `desired_changed`.
   */
  setDesired(hardwareClass: string, n: number, reason: string, o?: { actor?: string; inputs?: Record<string, unknown> }): Promise<FleetClassView>;
  /**
   * Records a scaling decision (`scale_decision`, with its inputs as JSON) and,
   * when `apply` is true, sets the desired size to it. Observe (dry-run) mode
   * passes apply: false: the decision is recorded, the fleet is left alone.
   */
  decide(hardwareClass: string, d: { desired: number; reason: string; inputs: Record<string, unknown>; apply: boolean; actor?: string }): Promise<FleetClassView>;
  /** Every class with its sizes and members. */
  list(): FleetView;
  /** Drains one member (finishes its runs, commits, leaves); the manager replaces it if the class needs it. */
  drain(memberId: string, reason: string, o?: { actor?: string }): Promise<FleetMemberView>;
  /** The newest events first, from this manager's memory (ClickHouse holds all of them). */
  history(o?: { hardwareClass?: string; limit?: number }): FleetEvent[];
}

export interface FleetMemberView {
  memberId: string;
  hardwareClass: string;
  state: FleetMemberState;
  reason: string;
  /** When it entered its current state, and when it was started. */
  sinceMs: number;
  startedAtMs: number;
  pid: number | null;
  /** Runs it holds (running or queued), partitions it owns, and its CPU use in cores, from its last report. */
  runsInFlight: number | null;
  partitions: number[] | null;
  cpuCores: number | null;
  /** Its warm pools per pool key (idle sandboxes and the size they are kept at), from its last report. */
  warmPools: Record<string, { size: number; target: number | null }> | null;
}

export interface FleetClassView {
  hardwareClass: string;
  desired: number;
  min: number;
  max: number;
  /** Members starting or ready (draining members are on their way out). */
  actual: number;
  ready: number;
  /** Set while members of the class keep dying: restarts wait for the back-off. */
  crashLoop: { exits: number; windowMs: number; nextStartAtMs: number } | null;
  members: FleetMemberView[];
}

export interface FleetView {
  actuator: string;
  managerId: string;
  classes: FleetClassView[];
}

export class FleetError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = 'FleetError';
  }
  toJSON() {
    return { error: { code: this.code, message: this.message } };
  }
}
