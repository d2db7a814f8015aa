// The trimmed botocore models of data/aws-models/, embedded into the binary with the assembler's .incbin so the
// daemon depends on no file outside itself at run time (and no multi-megabyte generated C++ array slows the build).
#include "aws/model_data.h"

#ifndef STRATUS_AWS_MODEL_DIR
#error "STRATUS_AWS_MODEL_DIR must name data/aws-models (set by src/aws/CMakeLists.txt)"
#endif

#define STRATUS_EMBED_MODEL(sym, file)                                                            \
  asm(".section .rodata\n"                                                                        \
      ".global " #sym "\n"                                                                        \
      ".balign 16\n" #sym ":\n"                                                                   \
      ".incbin \"" STRATUS_AWS_MODEL_DIR "/" file "\"\n"                                          \
      ".global " #sym "_end\n" #sym "_end:\n"                                                     \
      ".byte 0\n"                                                                                 \
      ".previous\n");                                                                             \
  extern "C" const char sym[];                                                                    \
  extern "C" const char sym##_end[];

STRATUS_EMBED_MODEL(stratus_aws_model_ec2, "ec2.json")
STRATUS_EMBED_MODEL(stratus_aws_model_elbv2, "elbv2.json")
STRATUS_EMBED_MODEL(stratus_aws_model_autoscaling, "autoscaling.json")
STRATUS_EMBED_MODEL(stratus_aws_model_cloudwatch, "cloudwatch.json")
STRATUS_EMBED_MODEL(stratus_aws_model_acm, "acm.json")

namespace stratus::aws {

std::vector<std::string_view> EmbeddedModels() {
  return {
      {stratus_aws_model_ec2, static_cast<size_t>(stratus_aws_model_ec2_end - stratus_aws_model_ec2)},
      {stratus_aws_model_elbv2, static_cast<size_t>(stratus_aws_model_elbv2_end - stratus_aws_model_elbv2)},
      {stratus_aws_model_autoscaling,
       static_cast<size_t>(stratus_aws_model_autoscaling_end - stratus_aws_model_autoscaling)},
      {stratus_aws_model_cloudwatch,
       static_cast<size_t>(stratus_aws_model_cloudwatch_end - stratus_aws_model_cloudwatch)},
      {stratus_aws_model_acm, static_cast<size_t>(stratus_aws_model_acm_end - stratus_aws_model_acm)},
  };
}

}  // namespace stratus::aws
