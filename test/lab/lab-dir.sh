# Sourced by every lab script (never run): SCRIPT_DIR (test/lab), REPO_DIR, and LAB, the lab dir
# ($UMS_LAB_DIR, default <repo>/.lab), created and made absolute.
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$SCRIPT_DIR/../.." && pwd)"
LAB="${UMS_LAB_DIR:-$REPO_DIR/.lab}"
mkdir -p "$LAB"
LAB="$(cd "$LAB" && pwd)"
