# lyrics_melody.rb - sing the lyric lines that lyricbridge sends: one note per syllable.
#
# Every line arrives as one OSC message "/lyricbridge/line" with:
#   seq, bpm, bars, syllable count, line text,
#   then for each syllable: text, stress (0, 1 or 2), beat, beats, mark (, . ? ! or _),
#   then where the line stands in a song: section ("verse", "chorus", "bridge" or "")
#   and its number in the stanza (0, 1, 2 ... or -1). Older bridges stop after the syllables.
# "beat" is when the syllable starts and "beats" how long it lasts, counted in
# beats from the start of the line, at the line's bpm.
#
# TIMING BELONGS TO SONIC PI. The bridge sends each line about one line early
# (the first two at once, then each line when the one before it starts), and Sonic Pi's own
# clock decides when every note plays. Two live_loops share the work:
#   :lyricbridge_ears  hears each line the moment it arrives and puts it in a
#                      numbered inbox with `set` (line 1, line 2, ...).
#   :lyricbridge_sing  takes the lines out of the inbox in order with `get` and
#                      plays them on its own clock. If the next line is not there
#                      yet, it waits a sixteenth note and looks again.
# The inbox counts lines in the order they arrive (the bridge sends them in seq
# order), so lines left over from an earlier run, or a restarted bridge that
# counts from 0 again, never get mixed up with the new ones.
# Why an inbox? `sync` only catches a message that comes while it is waiting,
# so a line that arrived while the singer was busy would be lost.
# Why look again instead of `sync`? `get` only sees what was `set` before the
# loop's own time; looking again every sixteenth can never miss a line.
# Re-running this file swaps in the new code without starting new loops,
# so nothing plays twice, and the singer keeps its place in the inbox.
#
# TELLING THE BRIDGE. When the singer starts a line it sends the bridge
# "/lyricbridge/sung" with the line's number, when the line's last bar is over
# "/lyricbridge/ended" with the same number, and when the ears start afresh (Sonic Pi
# restarted, or Stop then Run) they send -1 at once. That is how the bridge knows what was
# really sung: after a restart it sends again what was lost (a line cut off half way
# comes again in full), so the song goes on where it stopped, and its web page lights the syllables from that moment. The singer's
# message leaves on Sonic Pi's own clock, like a note: when the line starts to be heard,
# not when the code runs (sched_ahead_time earlier). No bridge listening? The messages
# are simply lost; nothing breaks.

# Where the bridge listens (its --control-port) and its --control-token (nil: none).
set :lyricbridge_bridge, ["127.0.0.1", 4580]
set :lyricbridge_token, nil
set :lyricbridge_voice, 0          # off until the bridge says it sings (lyricbridge run --voice)

# Send the bridge a message; the token, when there is one, goes first.
define :lyricbridge_tell do |address, *args|
  host, port = get(:lyricbridge_bridge)
  token = get(:lyricbridge_token)
  args = [token] + args if token
  osc_send host, port, address, *args
end

# The notes we sing: E minor pentatonic (E G A B D) from E3 up to E5, unless a MIDI
# keyboard chose another root or octave (see :lyricbridge_knobs at the end).
define :lyricbridge_notes do
  root = note(get(:lyricbridge_root, :e), octave: get(:lyricbridge_octave, 3))
  scale(root, :minor_pentatonic, num_octaves: 2)
end

# Choose the next note (a position in lyricbridge_notes, 0 to 10) for a syllable.
define :lyricbridge_next_position do |pos, stress, mark|
  if mark == "."
    pos = pos >= 10 ? 10 : (pos >= 5 ? 5 : 0)   # end of a sentence: come home to E
  elsif mark == "?"
    pos = [pos + 3, 10].min                     # a question goes up (as far as it can)
  elsif mark == "!"
    pos += 4                                    # a shout jumps up high
  elsif stress > 0
    pos += [-3, -2, 2, 3].choose                # a stressed syllable leaps
  else
    pos += [-1, 1].choose                       # the rest walk step by step
  end
  pos = 2 if pos < 0                            # bounce back inside our two octaves
  pos = 8 if pos > 10
  pos
end

# Where a line stands in its song: [section, number in the stanza].
# A line from an older bridge has nothing after its syllables: ["", -1].
define :lyricbridge_place do |lyric|
  at = 5 + 5 * lyric[3]                         # just after the last syllable
  if lyric.length < at + 2
    ["", -1]
  else
    [lyric[at].dup.force_encoding("UTF-8"), lyric[at + 1]]
  end
end

# Jam mode (lyricbridge jam): a line may end with its start time on the performers' shared
# clock (epoch seconds as a string, after the section and index). Wait for that moment, less
# the sched-ahead time (notes sound that much after the loop's time), so every performer's
# Sonic Pi starts the line together. A line without it is sung at once, as always.
# Waiting until the line's end on that clock (not just its length) also makes up for a line
# that began late, so the next one starts on time again.
define :lyricbridge_wait_until do |lyric, beats_after_start|
  at = lyric[7 + 5 * lyric[3]]
  timed = at.is_a?(String) && !at.empty?
  if timed
    wait = at.to_f + beats_after_start * 60.0 / lyric[1] - current_sched_ahead_time -
           current_time.to_f
    sleep wait * lyric[1] / 60.0 if wait > 0    # sleep counts beats at the line's bpm
  end
  timed
end

# Choose the notes of a whole line (MIDI numbers, one per syllable), going on from where the
# line before it ended. The ears call this the moment a line arrives, so the notes are known
# before the line is sung: the bridge's voice (lyricbridge run --voice) sings the words on
# exactly these notes. Change the tune here (or in lyricbridge_next_position) while it plays:
# the melody and the voice follow from the next line that arrives.
define :lyricbridge_choose_notes do |lyric|
  count = lyric[3]
  text = lyric[4].dup.force_encoding("UTF-8")
  section, number = lyricbridge_place(lyric)
  notes = lyricbridge_notes                     # root and octave as they are now, all line long
  pos = get(:lyricbridge_position, 5)           # start where the last line ended
  if section == "chorus"
    pos = 5 if number == 0                      # a chorus always starts at home (E)...
    use_random_seed text.sum * 11 + pos         # ...and its words choose its tune: it returns the same
  else
    use_random_seed lyric[0]                    # a verse: the line number makes its own choices
  end
  chosen = count.times.map do |k|
    pos = lyricbridge_next_position(pos, lyric[6 + 5 * k], lyric[9 + 5 * k])
    notes[pos]
  end
  set :lyricbridge_position, pos
  chosen
end

# THE VOICE. With lyricbridge run --voice, the bridge sings each line's words on the notes
# above (Festival's singing voice) and sends "/lyricbridge/voice" with the inbox number, the
# line's number, the sound file and how early to start it (its first consonants come before
# the beat). It plays as a sample when the line starts. A voice that is not here in time is
# left out for that line (the melody goes on, and the log says so).
# Louder or softer: set :lyricbridge_voice_amp, 1.5
define :lyricbridge_play_voice do |wanted, lyric|
  voice = get("/lyricbridge_voice/#{wanted}")
  if voice && voice[0] == lyric[0]
    set "/lyricbridge_voice/#{wanted}", nil
    time_warp -voice[2] * lyric[1] / 60.0 do   # the lead, in beats at the line's bpm
      sample voice[1], amp: get(:lyricbridge_voice_amp, 1)
    end
  elsif get(:lyricbridge_voice, 0) == 1
    puts "voice: line #{lyric[0]} not ready, sung without it"
  end
end

# Sing one line: one note per syllable, then rest until the line's last bar ends.
# fill: true tells tabla_groove.rb that a chorus comes next.
define :lyricbridge_sing_line do |lyric, fill, wanted = nil, chosen = nil|
  bpm, bars, count = lyric[1], lyric[2], lyric[3]
  text = lyric[4].dup.force_encoding("UTF-8")
  section, number = lyricbridge_place(lyric)
  use_bpm bpm
  lyricbridge_wait_until lyric, 0
  use_synth :tri                                # a soft, clear singing voice
  cue :lyricbridge_line, bpm: bpm, bars: bars, fill: fill  # tell tabla_groove.rb a line starts
  lyricbridge_tell "/lyricbridge/sung", lyric[0] # and the bridge: this line is sung now
  puts "sing: " + text
  chosen ||= lyricbridge_choose_notes(lyric)   # chosen when it arrived (see the ears)
  lyricbridge_play_voice wanted, lyric if wanted
  melody = get(:lyricbridge_melody_amp, 1)      # 0 silences the notes (a voice-only recording)
  now = 0
  count.times do |k|
    stress, beat, beats, mark = lyric[6 + 5 * k], lyric[7 + 5 * k], lyric[8 + 5 * k], lyric[9 + 5 * k]
    sleep beat - now if beat > now
    now = beat if beat > now
    loud = [0.5, 1.0, 0.8][stress]              # stressed syllables are louder...
    hold = stress > 0 ? 0.9 : 0.6               # ...and held a bit longer
    play chosen[k], amp: loud * melody, attack: 0.02,
      sustain: beats * hold * 0.5, release: beats * hold * 0.5
  end
  sleep bars * 4 - now unless lyricbridge_wait_until(lyric, bars * 4)   # fill the line's bars
  lyricbridge_tell "/lyricbridge/ended", lyric[0] # heard to the end: a restart now loses nothing
end

# The ears: store every line as it arrives, however early.
live_loop :lyricbridge_ears, init: true do |fresh|
  use_real_time
  lyricbridge_tell "/lyricbridge/sung", -1 if fresh   # just started: ask for what we missed
  lyric = sync "/osc*/lyricbridge/line"
  number = get(:lyricbridge_heard, 0) + 1
  chosen = lyricbridge_choose_notes(lyric)      # this line's notes, chosen now...
  set "/lyricbridge_chosen/#{number}", chosen
  set "/lyricbridge_inbox/#{number}", lyric
  set :lyricbridge_heard, number
  lyricbridge_tell "/lyricbridge/notes", lyric[0], number, *chosen if lyric[3] > 0  # ...for the voice
  set :lyricbridge_bpm, lyric[1]
  false                                           # not fresh any more
end

# The singer: `wanted` is the inbox number of the next line to sing. It is kept
# from one turn of the loop to the next, even when this file is run again.
live_loop :lyricbridge_sing, init: nil do |wanted|
  wanted ||= get(:lyricbridge_heard, 0) + 1     # just started: sing what comes next
  use_bpm get(:lyricbridge_bpm, 60)
  lyric = get("/lyricbridge_inbox/#{wanted}")
  idle = lyric.nil?
  until lyric                                    # not here yet: wait and look again
    sleep 0.25
    lyric = get("/lyricbridge_inbox/#{wanted}")
  end
  set "/lyricbridge_inbox/#{wanted}", nil        # sung: free its place in the inbox
  chosen = get("/lyricbridge_chosen/#{wanted}")
  set "/lyricbridge_chosen/#{wanted}", nil
  # Nothing was playing: give the voice up to two beats to come (it is rendered on arrival).
  8.times do
    break unless idle && get(:lyricbridge_voice, 0) == 1 && lyric[3] > 0
    break if get("/lyricbridge_voice/#{wanted}")
    sleep 0.25
  end
  # Peek at the line after this one: if it starts a chorus, the drums play a fill.
  after = get("/lyricbridge_inbox/#{wanted + 1}")
  fill = after != nil && lyricbridge_place(after) == ["chorus", 0]
  lyricbridge_sing_line lyric, fill, wanted, chosen
  wanted + 1
end

# Knobs from a MIDI keyboard (lyricbridge run --midi): "/lyricbridge/knob" name value,
# kept as :lyricbridge_<name>. The singer reads root and octave when a line starts, so a
# new key or octave is heard from the next line on. With no keyboard nothing changes.
live_loop :lyricbridge_knobs do
  use_real_time
  name, value = sync "/osc*/lyricbridge/knob"
  value = value.to_sym if value.is_a?(String)   # a note name such as "a" becomes :a
  set "lyricbridge_#{name}".to_sym, value
end

# The voice's sound files (lyricbridge run --voice): load each one the moment it is ready, so
# it plays on time, and free the one from four lines ago.
live_loop :lyricbridge_voice_ears do
  use_real_time
  number, seq, path, lead = sync "/osc*/lyricbridge/voice"
  path = path.dup.force_encoding("UTF-8")
  load_sample path
  set "/lyricbridge_voice/#{number}", [seq, path, lead]
  set "/lyricbridge_voice_file/#{number}", path
  set :lyricbridge_voice, 1
  old = get("/lyricbridge_voice_file/#{number - 4}")
  sample_free old if old
end
