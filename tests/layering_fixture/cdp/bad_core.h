// Fixture: the core must not include a higher layer.
#include "api/router.h"
