#include "csupervise_sys.h"
#include <malloc.h>

int csupervise_heap_trim(void) {
    return malloc_trim(0);
}
