#!/usr/bin/env bash
# Run a command with one CPU-burning process per core beside it, and stop them after: how the
# suite is checked to hold on a machine slower than this one (e.g. `tools/with_cpu_load.sh
# bash .ci/run`). Not used by CI itself.
set -u
burners=()
for _ in $(seq "$(nproc)"); do
  python3 -c "while True: pass" &
  burners+=("$!")
done
trap 'kill "${burners[@]}" 2>/dev/null' EXIT
"$@"
