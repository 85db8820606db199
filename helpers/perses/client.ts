// A read-only client for the Perses HTTP API (v1), over any transport:
// plain HTTP to a local process, or the Kubernetes API server's service
// proxy for a Perses in a cluster.

export interface PersesMetadata {
  name: string;
  project?: string;
  createdAt?: string;
  updatedAt?: string;
  version?: number;
}

export interface PersesResource {
  kind: string;
  metadata: PersesMetadata;
  spec?: unknown;
}

export interface PersesResponse {
  status: number;
  body: string;
}

/** Sends a GET for a path such as '/api/v1/projects' and returns the status and body. */
export type PersesTransport = (pathAndQuery: string) => Promise<PersesResponse>;

/** Error for a response other than the one expected, with the request and the body. */
export class PersesApiError extends Error {
  constructor(
    readonly pathAndQuery: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`GET ${pathAndQuery} returned HTTP ${status}: ${body.trim().slice(0, 300)}`);
  }
}

/** Creates a transport for a Perses reachable over plain HTTP, e.g. http://127.0.0.1:8080. */
export function httpTransport(baseUrl: string, options: { timeoutMs?: number } = {}): PersesTransport {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return async (pathAndQuery) => {
    const response = await fetch(new URL(pathAndQuery, baseUrl), { signal: AbortSignal.timeout(timeoutMs) });
    return { status: response.status, body: await response.text() };
  };
}

/** Typed calls for the endpoints the suites read. A missing resource is undefined, any other non-200 throws. */
export class PersesClient {
  constructor(readonly transport: PersesTransport) {}

  async health(): Promise<Record<string, unknown>> {
    return this.getJson<Record<string, unknown>>('/api/v1/health');
  }

  listProjects(): Promise<PersesResource[]> {
    return this.getJson('/api/v1/projects');
  }

  getProject(name: string): Promise<PersesResource | undefined> {
    return this.getOptional(`/api/v1/projects/${encodeURIComponent(name)}`);
  }

  /** Lists the dashboards of one project, or of every project when `project` is left out. */
  listDashboards(project?: string): Promise<PersesResource[]> {
    return this.getJson(project === undefined ? '/api/v1/dashboards' : `/api/v1/projects/${encodeURIComponent(project)}/dashboards`);
  }

  getDashboard(project: string, name: string): Promise<PersesResource | undefined> {
    return this.getOptional(`/api/v1/projects/${encodeURIComponent(project)}/dashboards/${encodeURIComponent(name)}`);
  }

  /** Lists the datasources of one project, or of every project when `project` is left out. */
  listDatasources(project?: string): Promise<PersesResource[]> {
    return this.getJson(project === undefined ? '/api/v1/datasources' : `/api/v1/projects/${encodeURIComponent(project)}/datasources`);
  }

  getDatasource(project: string, name: string): Promise<PersesResource | undefined> {
    return this.getOptional(`/api/v1/projects/${encodeURIComponent(project)}/datasources/${encodeURIComponent(name)}`);
  }

  listGlobalDatasources(): Promise<PersesResource[]> {
    return this.getJson('/api/v1/globaldatasources');
  }

  getGlobalDatasource(name: string): Promise<PersesResource | undefined> {
    return this.getOptional(`/api/v1/globaldatasources/${encodeURIComponent(name)}`);
  }

  /** Sends a GET and returns the raw response, whatever its status. */
  get(pathAndQuery: string): Promise<PersesResponse> {
    return this.transport(pathAndQuery);
  }

  private async getJson<T>(pathAndQuery: string): Promise<T> {
    const response = await this.transport(pathAndQuery);
    if (response.status !== 200) throw new PersesApiError(pathAndQuery, response.status, response.body);
    return JSON.parse(response.body) as T;
  }

  private async getOptional(pathAndQuery: string): Promise<PersesResource | undefined> {
    const response = await this.transport(pathAndQuery);
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw new PersesApiError(pathAndQuery, response.status, response.body);
    return JSON.parse(response.body) as PersesResource;
  }
}
