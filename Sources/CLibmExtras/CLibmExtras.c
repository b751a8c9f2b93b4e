// The header holds everything (a static inline function); SwiftPM needs one source file.
#include "CLibmExtras.h"
