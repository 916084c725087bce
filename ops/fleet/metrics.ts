import client from 'prom-client';
import type { FleetControl } from './control';

/**
 * The fleet gauges, read from the fleet at scrape time. The desired size is
 * the figure KEDA reads too (as JSON, kedaDocument), so a Prometheus-based
 * autoscaler can follow the same number.
 */
export function createFleetMetrics(control: Pick<FleetControl, 'list'>) {
  const registry = new client.Registry();
  const classes = () => control.list().classes;
  new client.Gauge({
    name: 'conveyor_fleet_desired_executors', help: 'Executors the fleet of a hardware class should have', labelNames: ['hardware_class'], registers: [registry],
    collect() { for (const c of classes()) this.set({ hardware_class: c.hardwareClass }, c.desired); },
  });
  new client.Gauge({
    name: 'conveyor_fleet_actual_executors', help: 'Executors starting or ready', labelNames: ['hardware_class'], registers: [registry],
    collect() { for (const c of classes()) this.set({ hardware_class: c.hardwareClass }, c.actual); },
  });
  new client.Gauge({
    name: 'conveyor_fleet_members', help: 'Members by state (stopped and failed ones are kept for a while)', labelNames: ['hardware_class', 'state'], registers: [registry],
    collect() {
      this.reset();
      for (const c of classes()) {
        for (const state of ['starting', 'ready', 'draining', 'stopped', 'failed']) this.set({ hardware_class: c.hardwareClass, state }, c.members.filter((m) => m.state === state).length);
      }
    },
  });
  new client.Gauge({
    name: 'conveyor_fleet_runs_in_flight', help: 'Runs held by the members of a class (running or queued), from their last report', labelNames: ['hardware_class'], registers: [registry],
    collect() { for (const c of classes()) this.set({ hardware_class: c.hardwareClass }, c.members.reduce((n, m) => n + (m.runsInFlight ?? 0), 0)); },
  });
  new client.Gauge({
    name: 'conveyor_fleet_crash_looping', help: '1 while the members of a class keep dying and restarts wait for the longest back-off', labelNames: ['hardware_class'], registers: [registry],
    collect() { for (const c of classes()) this.set({ hardware_class: c.hardwareClass }, c.crashLoop ? 1 : 0); },
  });
  new client.Gauge({
    name: 'conveyor_fleet_limit_executors', help: 'Minimum and maximum executors of a class', labelNames: ['hardware_class', 'bound'], registers: [registry],
    collect() {
      for (const c of classes()) {
        this.set({ hardware_class: c.hardwareClass, bound: 'min' }, c.min);
        this.set({ hardware_class: c.hardwareClass, bound: 'max' }, c.max);
      }
    },
  });
  return registry;
}
