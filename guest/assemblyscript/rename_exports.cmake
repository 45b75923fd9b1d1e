# Renames an AssemblyScript module's exports to the contract's names, which AssemblyScript cannot
# spell ("airssys:component/lifecycle@0.1.0#init" is not an identifier).
#   cmake -DIN=x.wat -DOUT=y.wat -P rename_exports.cmake
file(READ ${IN} wat)
set(lifecycle "airssys:component/lifecycle@0.1.0#")
foreach(pair
    "lifecycle_init=${lifecycle}init"
    "lifecycle_handle_message=${lifecycle}handle-message"
    "lifecycle_handle_response=${lifecycle}handle-response"
    "lifecycle_health=${lifecycle}health"
    "lifecycle_shutdown=${lifecycle}shutdown"
    "post_init=cabi_post_${lifecycle}init"
    "post_handle_message=cabi_post_${lifecycle}handle-message")
  string(REPLACE "=" ";" kv "${pair}")
  list(GET kv 0 from)
  list(GET kv 1 to)
  string(REPLACE "(export \"${from}\"" "(export \"${to}\"" wat "${wat}")
endforeach()
file(WRITE ${OUT} "${wat}")
