/* Try (never wait) and release the runtime's thread-list lock; see _threadlock.c. */
#ifndef SCOPETEL_STACKWALK_THREADLOCK_H
#define SCOPETEL_STACKWALK_THREADLOCK_H

#include <patchlevel.h>

#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030E0000
#define STACKWALK_THREADLOCK 1
#include "_hidden.h"
/* 1 when taken (release it with stackwalk_unlock_threads), 0 when another holds it. */
STACKWALK_HIDDEN int stackwalk_try_lock_threads(void);
STACKWALK_HIDDEN void stackwalk_unlock_threads(void);
#endif

#endif
