# fish completion for berth. The candidates come from `berth __complete`,
# which reads the option tables berth's own parser uses.

function __berth_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l directive :none
    for line in ($tokens[1] __complete $tokens[2..-1] "$cur" 2>/dev/null)
        switch $line
            case ':*'
                set directive $line
            case '*'
                echo $line
        end
    end
    switch $directive
        case :files
            __fish_complete_path "$cur"
        case :dirs
            __fish_complete_directories "$cur"
    end
end

complete -c berth -f -a '(__berth_complete)'
