/** Shapes of the REST replies (see mlops_jupyter/server). */

export interface IRun {
  run_id: string;
  run_name: string | null;
  experiment_id: string;
  status: string;
  start_time: number | null;
  end_time: number | null;
  /** prototype-free (see safe.ts): a metric may be called `constructor` or `__proto__` */
  metrics: Map<string, number | null>;
  params: Map<string, string>;
  notebook: string | null;
}

export interface IRunPage {
  runs: IRun[];
  next_page_token: string | null;
  metric_keys: string[];
  ui_url: string | null;
  profile: string;
}

export interface IMetricPoint {
  step: number;
  value: number | null;
  timestamp: number;
}

export interface IRunDetails extends IRun {
  tags: Map<string, string>;
  metric_history: Map<string, IMetricPoint[]>;
  artifacts: { path: string; size: number | null }[];
  notebook_snapshot: { artifact_path: string | null; url: string | null };
  ui_url: string | null;
}

export interface IFeature {
  available: boolean;
  reason: string | null;
}

export interface IHealth {
  ok: boolean;
  versions: Record<string, string | null>;
  features: Record<string, IFeature>;
  profile: {
    name: string;
    tracking_uri: string;
    experiment: string;
    ui_url: string | null;
    interactive: string;
  } | null;
  store: { reachable: boolean | null; kind: string; uri: string; detail: string } | null;
  config_error?: { message: string; hint: string | null };
}

export interface IDataRow {
  path: string;
  state: string;
  flags: string[];
  revision: string | null;
  size: number | null;
}

export interface IDatasets {
  available: boolean;
  configured: boolean;
  reason: string | null;
  hint?: string | null;
  status: { root: string; remote: string | null; rows: IDataRow[] } | null;
}

export interface ICheck {
  time: number;
  kind: string;
  name: string;
  ok: boolean;
  notebook: string | null;
  summary: Record<string, unknown>;
}

export interface IChecks {
  available: boolean;
  checks: ICheck[];
  validation: boolean;
  drift: boolean;
}

export interface IServiceArm {
  arm: string;
  model: string | null;
  version: string | null;
  up: boolean | null;
}

export interface IServiceWindow {
  arm: string;
  requests: number;
  errors: number;
  p95_latency_ms: number | null;
}

export interface IService {
  name: string;
  url?: string | null;
  running?: boolean;
  status?: string;
  split?: number | null;
  env?: string | null;
  arms?: IServiceArm[];
  last?: IServiceWindow[];
  error?: string;
}

export interface IServices {
  available: boolean;
  window_s: number;
  services: IService[];
}

export interface IExportResult {
  job_dir: string;
  job_dir_relative: string | null;
  name: string;
  files: Record<string, string>;
  notes: string[];
  spec: Record<string, unknown>;
}
