// Linked into every executable of a -DVTPM_SANITIZE=ON build: the
// sanitizers' defaults, so binaries and tests need no environment.
extern "C" {

// c-ares (gRPC's resolver) keeps a 10-byte allocation for the process
// lifetime; it is not ours.
const char* __lsan_default_suppressions() { return "leak:libcares.so\n"; }

// Don't print the table of used suppressions: it would land in the output
// of every command-line tool.
const char* __lsan_default_options() { return "print_suppressions=0"; }

}  // extern "C"
