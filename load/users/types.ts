/**
 * The vocabulary of simulated users, Locust-style: a user kind is a sequence of tasks run in order (each
 * possibly several times in a row), with a random wait between task executions, looping until the run ends.
 */
import type { Rng } from '../../services/common/rng.ts'

/** What a request looked like, for the statistics (Locust groups by method and name). */
export interface RequestRecord {
  /** Endpoint name: method and path template, e.g. `DELETE /sessions/[id]`. */
  readonly name: string
  readonly ms: number
  /** undefined when it succeeded; else the reason, grouped in the failure table (`HTTP 401`, `ECONNRESET`, ...). */
  readonly failure?: string
}

/** A response as the tasks see it. */
export interface SimResponse {
  readonly status: number
  /** Parsed JSON body, or undefined when the body was not JSON. */
  readonly json: unknown
}

/** The HTTP side of a user: one request, recorded under `name`, judged successful when its status is in `ok`. */
export interface SimHttp {
  request(req: {
    name: string
    method: 'GET' | 'POST' | 'PUT' | 'DELETE'
    path: string
    body?: unknown
    token?: string
    ok: readonly number[]
    /** Extra success condition on the body (e.g. "has a token"); returns a failure reason or undefined. */
    check?: (json: unknown) => string | undefined
  }): Promise<SimResponse | undefined>
}

/** Per-user state carried between tasks (the token it logged in with, the session it created). */
export interface UserState {
  username: string
  token?: string
  sessionId?: string
}

/** What a task gets. */
export interface TaskContext {
  readonly http: SimHttp
  readonly rng: Rng
  readonly state: UserState
}

/** One task of a sequence; `repeat` times in a row. */
export interface Task {
  readonly name: string
  readonly repeat: number
  run(ctx: TaskContext): Promise<void>
}

/** A kind of user. */
export interface UserKind {
  readonly name: string
  /** Relative share of the users (Locust's `weight`). */
  readonly weight: number
  /** Wait between task executions, seconds, uniform in [min, max] (Locust's `between(min, max)`). */
  readonly wait: readonly [number, number]
  /** Initial state, drawn when the user starts (which account it uses). */
  init(rng: Rng): UserState
  readonly tasks: readonly Task[]
}
