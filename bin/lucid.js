#!/usr/bin/env node
// The `lucid` command. The sources are TypeScript run through tsx's loader, so `npm ci` alone
// leaves a working command (no build step to forget); child processes inherit the loader.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../cli/main.ts')
process.exitCode = await main(process.argv.slice(2))
