// Compiled as part of the server module would be: it includes a header the probes module keeps
// private. The layering test (CMakeLists.txt) expects this file NOT to compile.
#include "probes/probe_loop.h"
