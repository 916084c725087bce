import type { BenchSection } from '../../runtimes/bench';

/** A report section: BenchSection plus charts the section wants drawn (throughput, timelines). */
export interface ChartSpec {
  title: string;
  kind: 'bar' | 'line';
  labels: (string | number)[];
  datasets: { label: string; data: number[] }[];
  xTitle?: string;
  yTitle?: string;
  stacked?: boolean;
}

export interface ReportSection extends BenchSection {
  charts?: ChartSpec[];
  /** Set when the section could not run; the report says why. */
  error?: string;
  seconds?: number;
}

export type { BenchSection };
