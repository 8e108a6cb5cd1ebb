#!/usr/bin/env bash
# The long soak: the CI soak test (tests/Sentinel.Master.Tests/SoakTests.cs) with more agents, more SIGKILLs of the
# master and a longer steady phase. It prints, per kill, how long the agents took to come back and the busiest
# 100 ms of reconnects; then the master's memory and open files over the steady phase; then samples stored and lost.
#   bench/soak.sh                      1,000 agents, 20 kills, 300 s steady
#   SENTINEL_SOAK_AGENTS=3000 bench/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export SENTINEL_SOAK_AGENTS=${SENTINEL_SOAK_AGENTS:-1000}
export SENTINEL_SOAK_KILLS=${SENTINEL_SOAK_KILLS:-20}
export SENTINEL_SOAK_STEADY_SECONDS=${SENTINEL_SOAK_STEADY_SECONDS:-300}
dotnet build tests/Sentinel.Master.Tests -c Release -v quiet -nologo
dotnet test tests/Sentinel.Master.Tests -c Release --no-build --filter "FullyQualifiedName~SoakTests" \
  --logger "console;verbosity=detailed" | grep -E '^ +(kill|steady|[0-9]+ agents)|Passed!|Failed!|Error Message' -A2
