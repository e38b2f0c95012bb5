#!/bin/sh
# Reads every capture in ../shared/pcaps with the sanitized binary:
# no crash, no sanitizer report, exactly as many packets as libpcap
# delivers (INDEX.tsv), and for files libpcap refuses or stops reading,
# an error that names the file.
. "$(dirname "$0")/lib.sh"
INDEX="$SHARED/pcaps/INDEX.tsv"
if [ ! -f "$INDEX" ]; then
	skip corpus "no $INDEX"
	finish
fi
tab=$(printf '\t')
grep -v '^#' "$INDEX" | while IFS="$tab" read -r file format links npk err rest; do
	f="$SHARED/pcaps/$file"
	"$SEGWATCH" flows -r "$f" -o "$TMPD/out" --stats 2>"$TMPD/err"
	rc=$?
	if [ $rc -ge 3 ] || sanitizer_report "$TMPD/err"; then
		echo "not ok $file: exit $rc"; sed 's/^/# /' "$TMPD/err" | head -20; continue
	fi
	got=$(grep -o '"packets":[0-9]*' "$TMPD/err" | cut -d: -f2)
	if [ "$err" = "-" ]; then
		if [ $rc -ne 0 ] || [ "$got" != "$npk" ]; then
			echo "not ok $file: exit $rc, $got packets, libpcap has $npk"
			head -3 "$TMPD/err" | sed 's/^/# /'
			continue
		fi
	elif ! grep -q "$(basename "$file")" "$TMPD/err"; then
		echo "not ok $file: error does not name the file"; continue
	elif [ $rc -eq 0 ]; then
		echo "not ok $file: libpcap reports '$err' but exit status is 0"; continue
	elif [ "$npk" != "0" ] && [ "$got" != "$npk" ]; then
		echo "not ok $file: $got packets before the error, libpcap has $npk"; continue
	fi
	echo "ok $file"
done > "$TMPD/results"
cat "$TMPD/results"
PASSED=$(grep -c '^ok ' "$TMPD/results")
FAILED=$(grep -c '^not ok ' "$TMPD/results")
finish
