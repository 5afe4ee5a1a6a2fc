# bash completion for berth. The candidates come from `berth __complete`,
# which reads the option tables berth's own parser uses.

_berth() {
  local cur=${COMP_WORDS[COMP_CWORD]} line directive=:none i
  local -a words=()
  # Undo the split at "=" (COMP_WORDBREAKS): "--root=/x" is one word to berth.
  for ((i = 1; i <= COMP_CWORD; i++)); do
    if [[ ${COMP_WORDS[i]} == = || (${#words[@]} -gt 0 && ${words[-1]} == *=) ]] && ((i > 1)); then
      words[-1]+=${COMP_WORDS[i]}
    else
      words+=("${COMP_WORDS[i]}")
    fi
  done
  [[ $cur == = ]] && cur=
  COMPREPLY=()
  while IFS= read -r line; do
    case $line in
      :*) directive=$line ;;
      *) COMPREPLY+=("${line%%$'\t'*}") ;;
    esac
  done < <(command "${COMP_WORDS[0]}" __complete "${words[@]}" 2>/dev/null)
  # A value given as --opt=value completes only its value part.
  if [[ ${words[-1]} == --*=* ]]; then
    local prefix=${words[-1]%%=*}=
    COMPREPLY=("${COMPREPLY[@]#"$prefix"}")
  fi
  case $directive in
    :files) compopt -o filenames 2>/dev/null; mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$cur") ;;
    :dirs) compopt -o filenames 2>/dev/null; mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -d -- "$cur") ;;
  esac
  return 0
}

complete -F _berth berth
