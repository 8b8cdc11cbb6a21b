// The control for check_no_float.sh: a function that certainly compiles to
// floating-point instructions. Built as an object file, never linked.
double LiaisonDpFloatControl(double a, long b) {
  return a * static_cast<double>(b) / 3.0 + static_cast<double>(b % 7) -
         a / (a + 2.5);
}
