/**
 * The /health body, byte for byte: the gateway's health route (routes/health.ts) sends it, and so does the raw
 * node:http baseline server (cases/baseline/http-server.ts), so the two are compared on the same answer. A
 * module of its own with no imports, so the raw server loads nothing of the gateway.
 */
export const HEALTH_BODY = JSON.stringify({ status: 'healthy', service: 'lucid-api-gateway' })
