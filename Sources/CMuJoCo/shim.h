// MuJoCo's C API, from /usr/local/include/mujoco (scripts/install-deps.sh --mujoco puts the
// headers and libmujoco.so of PyPI's mujoco-core wheel there: the build Gymnasium steps).
#include <mujoco/mujoco.h>

// MuJoCo's messages go to the console only, not also to a MUJOCO_LOG.TXT in the working
// directory (Gymnasium's bindings do not leave one either).
static inline void rl_mujoco_messages_to_stderr(void) {
    mjLogConfig config = mju_getLogConfig();
    config.logto_file = 0;
    config.logto_console = 1;
    mju_setLogConfig(config);
}
