# The instance service layer (control plane), beside the runtime library above.
add_library(stratus_compute STATIC
  ${CMAKE_CURRENT_LIST_DIR}/instance.cc
  ${CMAKE_CURRENT_LIST_DIR}/instance_service.cc
  ${CMAKE_CURRENT_LIST_DIR}/host_capacity.cc
)
target_include_directories(stratus_compute PUBLIC ${CMAKE_SOURCE_DIR}/src)
target_link_libraries(stratus_compute PUBLIC stratus_common stratus_runtime stratus_store stratus_image nlohmann_json::nlohmann_json OpenSSL::Crypto)
