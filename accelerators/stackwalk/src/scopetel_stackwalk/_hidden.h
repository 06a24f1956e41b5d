/* STACKWALK_HIDDEN: the extension's own functions shared between its files, kept out of
 * the shared object's exported symbols. */
#ifndef SCOPETEL_STACKWALK_HIDDEN_H
#define SCOPETEL_STACKWALK_HIDDEN_H

#if defined(__GNUC__)
#define STACKWALK_HIDDEN __attribute__((visibility("hidden")))
#else
#define STACKWALK_HIDDEN
#endif

#endif
