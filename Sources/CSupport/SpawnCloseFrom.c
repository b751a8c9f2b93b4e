// glibc's posix_spawn_file_actions_addclosefrom_np (2.34+) is declared only under _GNU_SOURCE,
// which Swift's Glibc module does not see: Shared.ChildProcess reaches it through this wrapper.
#define _GNU_SOURCE
#include <spawn.h>
#include "CSupport.h"

int rl_spawn_actions_close_from(void *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np((posix_spawn_file_actions_t *)actions, from);
}
