// Fixture: storage must not include ingest.
#include "ingest/config_parser.h"
