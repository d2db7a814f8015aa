// stratusd's access keys (LoadOrCreateAwsCredentials, LookupFor) are in aws/credentials.h, beside the one
// credentials-file parser they share with the wire tests. This header only forwards there for the includes that
// still name it (src/daemon/daemon.cc); include aws/credentials.h in new code.
#pragma once

#include "aws/credentials.h"
