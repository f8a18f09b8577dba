/* The os layer's umbrella header: processes, signals, sockets, I/O. */
#ifndef DR_OS_H_INCLUDED
#define DR_OS_H_INCLUDED

#include "dr_core.h"
#include "dr_process.h"
#include "dr_socket.h"

#endif
