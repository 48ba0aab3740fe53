// The control for private_include.cpp: compiled the same way, a public header of probes and a
// private header of the module itself both compile.
#include "probes/health_table.h"
#include "server/worker.h"
