#!/usr/bin/env bash
# Put a report of scripts/deploy.py (--report FILE) on the pull request: edit this workflow's comment
# that holds the previous report (found by the report's first line, the same for every report), or
# add one. Needs GH_TOKEN, GITHUB_REPOSITORY and PR (the pull request's number).
set -euo pipefail
report=$1
export MARKER
MARKER=$(head -n 1 "$report")
ids=$(gh api --paginate "repos/$GITHUB_REPOSITORY/issues/$PR/comments" \
  --jq '.[] | select(.user.login == "github-actions[bot]" and (.body | startswith($ENV.MARKER))) | .id')
id=${ids%%$'\n'*}
if [ -n "$id" ]; then
  gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$id" -F "body=@$report" > /dev/null
else
  gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$PR/comments" -F "body=@$report" > /dev/null
fi
