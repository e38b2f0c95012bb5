#!/bin/sh
# `make lint`: the project's own rules that the compiler does not check.
#  - banned functions: sscanf/atoi/atol/strtol family (use textparse.h),
#    sprintf/strcpy/strcat/gets (unbounded);
#  - exit() only in cli/ (modules return errors);
#  - every C file starts with a comment saying what it is for.
set -u
cd "$(dirname "$0")/.."
fail=0
files=$(ls common/*.c collector/*.c collector/*.h analyzer/*.c analyzer/*.h web/*.c web/*.h \
	include/segwatch/*.h cli/*.c cli/*.h tests/tools/*.c 2>/dev/null)
banned='\b(sscanf|atoi|atol|atoll|strtol|strtoul|strtoll|strtoull|sprintf|vsprintf|strcpy|strcat|gets)\s*\('
for f in $files; do
	# strip // comments and string literals roughly before matching
	if sed -E 's://.*$::; s/"([^"\\]|\\.)*"//g' "$f" | grep -nE "$banned" >/dev/null; then
		sed -E 's://.*$::; s/"([^"\\]|\\.)*"//g' "$f" | grep -nE "$banned" | sed "s|^|$f:|"
		fail=1
	fi
	case "$f" in
	cli/*|tests/*) ;;
	*) if grep -nE '(^|[^_a-z])(exit|_exit|abort)\s*\(' "$f" >/dev/null; then
		grep -nE '(^|[^_a-z])(exit|_exit|abort)\s*\(' "$f" | sed "s|^|$f: exit in module code: |"
		fail=1
	   fi ;;
	esac
	if ! head -n 1 "$f" | grep -q '^/\*'; then
		echo "$f: no file-top comment"
		fail=1
	fi
done
[ $fail -eq 0 ] && echo "lint: ok ($(echo "$files" | wc -w) files)"
exit $fail
