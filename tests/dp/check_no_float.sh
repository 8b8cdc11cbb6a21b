#!/usr/bin/env bash
# check_no_float.sh OBJDUMP SAMPLER_OBJECT CONTROL_OBJECT
#
# Shows that the exact samplers' integer core (src/dp/internal/sampler_core.cc,
# where every draw is made) contains no floating-point instruction: it
# disassembles its object file and fails on any x87 instruction, any x87
# register, and any SSE/AVX floating-point arithmetic, comparison or
# conversion (addsd, mulsd, divsd, cvtsi2sd, ucomisd, vfmadd...).
# The same patterns must find floating point in CONTROL_OBJECT (a function
# that does use doubles), so the check cannot pass vacuously, e.g. if
# objdump's output format changed. Plain register moves are not flagged:
# compilers use SSE registers to copy integer data.
#
# Why a disassembly and not only the compiler: sampler_core.cc is also built
# with -mgeneral-regs-only where available (the compiler then rejects floating
# point in it), but a flag can be dropped or be unavailable; this test looks
# at what was actually built.
set -euo pipefail
objdump=$1 sampler=$2 control=$3

float_lines() {
  "$objdump" -d --no-show-raw-insn "$1" |
    awk -F'\t' 'NF >= 2 && $1 ~ /^ *[0-9a-f]+:$/ { print $2 }' |
    grep -E \
      -e '^f(ld|st|ild|ist|isttp|add|sub|mul|div|iadd|isub|imul|idiv|chs|abs|sqrt|com|ucom|xch|prem|scale|rndint|sin|cos|ptan|patan|yl2x|2xm1|xam|tst|init|ninit|ldcw|stcw|nstcw|stsw|nstsw|cmov|free|bld|bstp)' \
      -e '^v?(add|sub|mul|div|sqrt|min|max|rcp|rsqrt|round|u?comi|cmp[a-z]*|hadd|hsub|addsub|dp)(ss|sd|ps|pd)( |$)' \
      -e '^v?cvt' \
      -e '^vf(n?m(add|sub)|madd|msub)' \
      -e '%st(\(|,|$| )' || true
}

control_hits=$(float_lines "$control" | wc -l)
if [ "$control_hits" -eq 0 ]; then
  echo "FAIL: the patterns found no floating point in the control object $control"
  exit 1
fi
total=$("$objdump" -d --no-show-raw-insn "$sampler" | awk -F'\t' 'NF >= 2' | wc -l)
if [ "$total" -lt 100 ]; then
  echo "FAIL: only $total instructions disassembled from $sampler"
  exit 1
fi
hits=$(float_lines "$sampler")
if [ -n "$hits" ]; then
  echo "FAIL: floating-point instructions in the sampler object $sampler:"
  echo "$hits" | sort | uniq -c
  exit 1
fi
echo "OK: $total instructions in the samplers, none floating point" \
     "(the control object has $control_hits)"
