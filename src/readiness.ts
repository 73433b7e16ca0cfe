/**
 * Whether this process wants new traffic. It turns unready once, when shutdown begins, so a
 * load balancer or Kubernetes stops routing here while in-flight requests still finish.
 */
export class Readiness {
  #ready = true

  get ready(): boolean {
    return this.#ready
  }

  markShuttingDown(): void {
    this.#ready = false
  }
}
